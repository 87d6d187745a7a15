"""The web app: home, platform history, compare, diff pages, plain-text versions, feeds."""
