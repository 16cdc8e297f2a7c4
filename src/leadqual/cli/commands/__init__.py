"""The commands of ``leadqual``, one module each. Each module imports only Typer and the command
line's own helpers at the top; the library parts a command uses are imported when it runs."""
