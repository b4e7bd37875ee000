"""The tutorial command's own error."""


class TutorialError(Exception):
    """A failure reported as one line on stderr (exit status 1)."""
