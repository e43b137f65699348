"""LLM-assisted views: news sentiment, providers, guardrails and recorded calls, wrapped around any base target.

A profile with an ``llm`` block (:mod:`rebal.llm.spec`) gets its target from its method as usual (the
*base* target), then views from a language model, or from the documented offline rule, on that base:
point-in-time inputs (:mod:`~rebal.llm.inputs`: news, decayed lexicon sentiment, trends, correlations, the
base target and the holdings), one request (:mod:`~rebal.llm.prompt`), a provider
(:mod:`~rebal.llm.providers`: offline, an OpenAI-compatible HTTP endpoint, a local GGUF model), strict
parsing (:mod:`~rebal.llm.parse`), caps and the Black-Litterman tilt of the base weights
(:mod:`~rebal.llm.guardrails`), every call recorded in the lakehouse and replayed on reruns
(:mod:`~rebal.llm.assist`), and the track record of past views (:mod:`~rebal.llm.track`).

Nothing is imported here: the profile loader reads :mod:`rebal.llm.spec` cheaply.
"""
