"""The local chat-completions server, started with the answers a test scripts."""

import pytest
from openai import AsyncOpenAI

from tests.chat_server import Answer, ChatServer


@pytest.fixture
def chat():
    """``chat(*answers)`` starts a server answering them in turn; returns it and a client (one SDK retry)."""
    servers = []

    def start(*answers: Answer) -> tuple[ChatServer, AsyncOpenAI]:
        server = ChatServer(list(answers)).__enter__()
        servers.append(server)
        return server, AsyncOpenAI(api_key="test-key", base_url=server.base_url, max_retries=1)

    yield start
    for server in servers:
        server.__exit__()
