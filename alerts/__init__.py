"""From a recorded change to a chat: reports, the outbox pipeline, digests and the paced sender."""
