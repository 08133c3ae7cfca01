"""depllc console front ends: the Textual app and the `depllc` command line."""
