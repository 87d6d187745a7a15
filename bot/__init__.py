"""The Telegram conversation: commands, buttons and the rules of groups."""
