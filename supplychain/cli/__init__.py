"""The command line: the only place that prints, renders progress or exits."""
