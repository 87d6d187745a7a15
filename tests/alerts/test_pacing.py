"""The sender's windows count a message from before it is sent until a window after its answer."""

import asyncio

from alerts.sender import SlidingWindow


async def test_a_turn_lasts_while_the_request_is_out_and_a_window_after_its_answer():
    window = SlidingWindow(1, 0.2)
    loop = asyncio.get_running_loop()
    await window.take_turn()
    second = asyncio.create_task(window.take_turn())
    await asyncio.sleep(0.3)  # longer than the window: the first answer is still awaited
    assert not second.done()
    answered = loop.time()  # read before the turn ends: the turn is timed no earlier
    window.end_turn()
    await second
    assert loop.time() - answered >= 0.2  # Telegram got the first no later than its answer


async def test_turns_up_to_the_limit_go_at_once_and_the_next_waits_for_the_first_to_expire():
    window = SlidingWindow(3, 0.2)
    loop = asyncio.get_running_loop()
    first_answer = loop.time()  # read before the first turn ends: it is timed no earlier
    for _ in range(3):
        await window.take_turn()
        window.end_turn()
    await window.take_turn()
    assert loop.time() - first_answer >= 0.2
    window.end_turn()
    assert not window.is_idle(loop.time())
