// The chat pages: ask, show the answer and its cited clauses (expandable).
(function () {
  const root = document.querySelector(".chat");
  const audience = root.dataset.audience;
  const streaming = root.dataset.streaming === "true";
  const list = document.getElementById("messages");
  const form = document.getElementById("ask");
  const box = document.getElementById("question");
  const conversation = Math.random().toString(36).slice(2, 14);

  function item(cls, text) {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = text;
    list.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function showCitations(li, citations) {
    if (!citations.length) return;
    const details = document.createElement("details");
    details.className = "citations";
    const summary = document.createElement("summary");
    summary.textContent = "原文（" + citations.length + " 处）";
    details.appendChild(summary);
    for (const c of citations) {
      const div = document.createElement("div");
      div.className = "citation";
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = c.where; // 《document》clause, marked when the text is unverified
      div.appendChild(where);
      div.appendChild(document.createTextNode(c.text));
      details.appendChild(div);
    }
    li.appendChild(details);
  }

  async function askPlain(question, li) {
    const response = await fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, audience, conversation_id: conversation }),
    });
    const data = await response.json();
    if (!response.ok) { li.textContent = data.error || "出错了，请稍后再试。"; li.classList.add("refusal"); return; }
    li.textContent = data.answer;
    if (["out_of_scope", "not_covered", "restricted"].includes(data.kind)) li.classList.add("refusal");
    showCitations(li, data.citations);
  }

  async function askStreaming(question, li) {
    const response = await fetch("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, audience, conversation_id: conversation }),
    });
    if (!response.ok) { const data = await response.json(); li.textContent = data.error; return; }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    li.textContent = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = (block.match(/^event: (.*)$/m) || [])[1];
        const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "null");
        if (event === "delta") li.textContent += data;
        if (event === "citations") showCitations(li, data);
      }
    }
  }

  async function ask(question) {
    item("q", question);
    const li = item("a", "正在查找相关条款……");
    try {
      await (streaming ? askStreaming(question, li) : askPlain(question, li));
    } catch (e) {
      li.textContent = "网络异常，请稍后再试。";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = box.value.trim();
    if (!question) return;
    box.value = "";
    ask(question);
  });
  box.addEventListener("keydown", (event) => {
    // the Enter that ends a Chinese input method's composition picks the characters: not a send
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  for (const chip of document.querySelectorAll(".chip")) chip.addEventListener("click", () => ask(chip.textContent));
})();
