"""The event graph drawn: Graphviz DOT, Mermaid and the HTML report's SVG, from one model
(`core.graph`) and one set of labels and colours (`labels`)."""
