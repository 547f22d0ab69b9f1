"""Optional LLM rephrasing of an extractive answer, held to its evidence.

The model sees the question, numbered evidence [E1]… and the extractive draft. Its reply may
only cite those ids; any other citation is dropped, and any sentence naming a department or a
number that the evidence does not hold is removed. If the model fails, is slow or leaves nothing
usable, the caller keeps the extractive answer. Instructions inside questions or documents
("忽略以上指令……") are data to the model, never rules: the rules are fixed here and enforced on
the output whatever the model does.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.models import Answer, Citation
from retrieval.text import split_sentences
from retrieval.tokenizer import Tokenizer

logger = logging.getLogger(__name__)

_CITE = re.compile(r"\[E(\d+)\]")
# "……充电桩。[E1]" → "……充电桩[E1]。": a marker after the full stop belongs to that sentence
_MARKER_AFTER_STOP = re.compile(r"([。！？；!?;])\s*((?:\[E\d+\])+)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def build_chat_model(*, base_url: str, model: str, api_key: str, timeout: float) -> BaseChatModel:
    """A chat model behind any OpenAI-compatible endpoint (vLLM, Ollama, a local Qwen/DeepSeek)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=timeout,
        max_retries=0,
        temperature=0,
    )


class Rephraser:
    def __init__(
        self, model: BaseChatModel, tokenizer: Tokenizer, *, timeout: float, system_prompt: str
    ) -> None:
        self._model = model
        self._system_prompt = system_prompt
        self._tokenizer = tokenizer
        self._timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm")

    def messages(self, question: str, draft: Answer) -> list:  # type: ignore[type-arg]
        evidence = "\n".join(
            f"[E{n}] {c.where}：{c.text}" for n, c in enumerate(draft.citations, 1)
        )
        return [
            SystemMessage(self._system_prompt),
            HumanMessage(f"问题：{question}\n\n证据：\n{evidence}\n\n草稿答案：\n{draft.answer}"),
        ]

    def rephrase(self, question: str, draft: Answer) -> Answer | None:
        """The model's grounded rewrite, or None to keep the draft."""
        if not draft.citations:
            return None
        future = self._pool.submit(self._model.invoke, self.messages(question, draft))
        try:
            reply = future.result(timeout=self._timeout)
        except FutureTimeout:
            logger.warning("LLM did not answer within %.1fs; answering extractively", self._timeout)
            return None
        except Exception as exc:  # any client or server failure means: keep the draft
            logger.warning("LLM failed (%s); answering extractively", exc.__class__.__name__)
            return None
        return self.ground(str(reply.content), draft)

    def ground(self, text: str, draft: Answer) -> Answer | None:
        """Keep only what the evidence supports; None when nothing cited is left."""
        evidence = " ".join(f"{c.clause} {c.text}" for c in draft.citations)
        allowed_departments = set(self._tokenizer.departments(evidence))
        kept, cited = [], []
        for sentence in split_sentences(_MARKER_AFTER_STOP.sub(r"\2\1", text)):
            ids = [int(i) for i in _CITE.findall(sentence) if 1 <= int(i) <= len(draft.citations)]
            plain = _CITE.sub("", sentence).strip()
            if not plain or not ids:
                continue
            if set(self._tokenizer.departments(plain)) - allowed_departments:
                continue
            if any(number not in evidence for number in _NUMBER.findall(plain)):
                continue
            kept.append(plain)
            cited += [i for i in ids if i not in cited]
        if not kept:
            return None
        citations: list[Citation] = [draft.citations[i - 1] for i in sorted(cited)]
        return draft.model_copy(update={"answer": "".join(kept), "citations": citations})
