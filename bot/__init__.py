"""The Telegram bot, alert delivery and the wiring that runs everything in one process."""
