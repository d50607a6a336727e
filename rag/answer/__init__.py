"""The answering layer: a question's path from retrieval to a checked, cited answer.

`retrieve` finds passages (dense + BM25, filters, stories), `timeframe` turns time phrases into date ranges,
`conversation` reads follow-ups, `evidence` picks the sentences that answer, `prompts` builds what the model reads,
`cite` checks each sentence the model writes against its evidence, and `assistant.Assistant` ties them together.
"""
