"""Prompt tokens the report sends, against the changed paragraphs alone and against both documents.

For edits of 1 %, 10 % and 50 % of the paragraphs of a ~110 KB Chinese policy, the report is asked of
a local chat-completions server (so what is counted is what is really sent, every batch included).
Target: prompt tokens <= 1.3 x the changed paragraphs' tokens + 1,500. Tokens are the project's
offline estimate (analysis.report.estimate_tokens) on every side of each ratio.
Run: .venv/bin/python benchmarks/report_bench.py
"""

import asyncio
import sys
from pathlib import Path

from openai import AsyncOpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.diff import build_diff
from analysis.llm import write_report
from analysis.report import estimate_tokens
from benchmarks.diff_bench import edited, shifted
from tests.chat_server import SEED_REPORT, Answer, ChatServer
from tests.pages import SEED_OLD, seed_text


def changed_paragraph_tokens(old: str, new: str) -> int:
    diff = build_diff(old, new)
    return sum(estimate_tokens(row.old_text) + estimate_tokens(row.new_text) for row in diff.changes)


async def sent_tokens(old: str, new: str) -> tuple[int, int]:
    """Estimated prompt tokens of every request the report made, and how many requests."""
    with ChatServer([Answer(SEED_REPORT)]) as server:
        client = AsyncOpenAI(api_key="bench", base_url=server.base_url, max_retries=0)
        await write_report(client, "bench-model", build_diff(old, new), old, new)
        total = sum(
            estimate_tokens(message["content"])
            for request in server.requests
            for message in request["messages"]
        )
        return total, len(server.requests)


def main() -> None:
    seed = seed_text(SEED_OLD)
    policy = seed + "\n\n" + shifted(seed, 1)
    both_documents = 2 * estimate_tokens(policy)
    print(f"policy: {len(policy.encode()) // 1024} KB, {estimate_tokens(policy)} tokens")
    columns = ("edited", 7), ("changed", 9), ("sent", 8), ("calls", 6), ("sent/changed", 14), ("limit", 8)
    print("".join(f"{title:>{width}}" for title, width in columns) + f"{'sent/both docs':>16}")
    for share in (0.01, 0.10, 0.50):
        new = edited(policy, share, seed=int(share * 100))
        changed = changed_paragraph_tokens(policy, new)
        sent, calls = asyncio.run(sent_tokens(policy, new))
        limit = round(1.3 * changed + 1500)
        verdict = "ok" if sent <= limit else "OVER"
        print(
            f"{share:>7.0%}{changed:>9}{sent:>8}{calls:>6}{sent / changed:>14.2f}{limit:>6} {verdict}"
            f"{sent / both_documents:>15.2f}"
        )
    print("sent: the estimated tokens of every message of every call, system prompts included")


if __name__ == "__main__":
    main()
