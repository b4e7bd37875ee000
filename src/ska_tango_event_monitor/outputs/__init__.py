"""Where snapshot reports go: the text report, JSON lines, the HTML report."""
