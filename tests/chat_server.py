"""A real HTTP server on loopback speaking the OpenAI chat-completions API, answering from a script."""

import contextlib
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import LoopbackServer, next_in_script
from tests.pages import NEW_COMPANY, OLD_COMPANY


@dataclass
class Answer:
    """One scripted answer: a completion with ``content``, or an error ``status``."""

    content: str | None = None
    status: int = 200
    finish_reason: str = "stop"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class ChatServer(LoopbackServer):
    """``answers`` are served in turn (the last one again and again); ``requests`` holds every body."""

    def __init__(self, answers: list[Answer] | None = None) -> None:
        self.answers = list(answers or [])
        self.requests: list[dict] = []
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                answer = next_in_script(server.answers, server.script_lock)
                time.sleep(answer.delay)
                if answer.status != 200:
                    payload = {"error": {"message": f"scripted {answer.status}", "type": "server_error"}}
                else:
                    payload = {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": answer.content},
                                "finish_reason": answer.finish_reason,
                            }
                        ],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
                    }
                data = json.dumps(payload).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out
                    self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


# A model's good report of the seed pair's one change (line 147: the mall's operating company).
SEED_REPORT = json.dumps(
    {
        "severity": "minor",
        "headline": "极物商城运营主体变更",
        "assessment": "微小勘误:仅关联运营方名称调整。",
        "changes": [
            {
                "kind": "modified",
                "section": "极物商城",
                "what": f"运营主体由{OLD_COMPANY}改为{NEW_COMPANY}",
                "impact": "对用户影响微乎其微",
            }
        ],
        "conclusion": "无需采取行动。",
        "actions": [],
    },
    ensure_ascii=False,
)
