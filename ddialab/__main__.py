from ddialab.cli import entry

entry()
