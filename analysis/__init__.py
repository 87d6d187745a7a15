"""Pure text analysis: dates, the diff model and the change report. Imports nothing else of PolicyWatch."""
