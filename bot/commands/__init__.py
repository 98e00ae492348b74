"""The `baton` commands, one module each: what a command takes and prints, and the one call into
the library that does its work. `bot.cli` puts them together."""
