"""The models behind narrow interfaces: embedders (`embed`, `onnx`), LLMs (`llm`, run in a child process by
`worker`, or on a server by `remote`), the bundled model files (`bundled`) and the trained answer finder
(`answer_finder`). Names become models only at the edges (CLI, UI, settings). Nothing here imports `rag.answer`: what
a model is given (`Prompt`) and the `Waiting` event of a shared model are records (`rag.records`)."""
