"""depllc console service layer: settings, data model, AWS and MongoDB access.

Nothing in this package imports Textual; both front ends (the TUI and the command
line) call into it.
"""

__version__ = "0.1.0"
