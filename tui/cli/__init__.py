"""The `depllc` command line: global flags, one module per command group."""
