"""200 concurrent streamed chat requests through one host's proxy: every one completes, none
errs. No timing here: bench/load.py measures the latency the proxy adds (docs/benchmarks.md)."""
import asyncio

import openai
from conftest import PROXY_KEY, PROXY_URL

CONCURRENT = 200


async def one_stream(client, number):
    text = "load %d" % number
    stream = await client.chat.completions.create(
        model="gpt-4.1", stream=True, messages=[{"role": "user", "content": text}])
    parts, finish = [], None
    async for chunk in stream:
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    return text, "".join(parts), finish


async def all_streams():
    client = openai.AsyncOpenAI(base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=0, timeout=300)
    try:
        return await asyncio.gather(*(one_stream(client, number) for number in range(CONCURRENT)),
                                    return_exceptions=True)
    finally:
        await client.close()


def test_200_concurrent_streams_all_complete():
    results = asyncio.run(all_streams())
    errors = [repr(result)[:300] for result in results if isinstance(result, BaseException)]
    assert errors == [], "%d of %d streams failed, first: %s" % (len(errors), CONCURRENT, errors[:3])
    incomplete = [text for text, answer, finish in results
                  if finish != "stop" or not answer.endswith("You said: " + text)]
    assert incomplete == [], "%d streams ended early, e.g. %s" % (len(incomplete), incomplete[:3])
