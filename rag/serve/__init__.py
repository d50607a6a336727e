"""The serving layer: the JSON API, the OpenAI-compatible endpoint and (optionally) a chat page, on one port.

    rag serve --index index/        # http://127.0.0.1:7860: the chat at /, the API under /api and /v1, docs at /docs

`serve(settings, chat=..., announce=...)` is the one way to start serving (`rag serve` and `ui.launch` both call
it): it refuses a non-loopback address without a token, sets the thread budgets, loads and checks the model, puts
it behind the generation queue and runs uvicorn. The chat page is handed in (`chat`, a builder such as
`ui.app.build_app`); nothing here imports `ui`.

The modules, one concern each:

- `start`: `serve`, the thread budgets, loading and checking the model, and `running` (a server in a background
  thread, for tests and benchmarks);
- `app`: `create_app`, the routes, and what they need from the assistant (`ServedAssistant`, `AddArticles`,
  `ChatBuilder`, `article_adder`, `model_info`);
- `bodies`: the request bodies and size limits;
- `errors`: the error JSON and the status of each library error;
- `middleware`: loopback, tokens, Host and Origin checks, body size limits;
- `streaming`: from the assistant's stream to an Answer or server-sent events;
- `openai`: the OpenAI-compatible endpoint;
- `queue`: the line in front of the model (`QueuedLLM`).
"""

from rag.serve.start import serve

__all__ = ["serve"]
