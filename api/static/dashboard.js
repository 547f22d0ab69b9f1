// The dashboard's forms and buttons: milestones (the office adds, edits, completes, deletes),
// progress reports (filed, accepted or returned), 办结; the cards' 上位依据.
(function () {
  const send = window.callApi;

  // forms (data-form) and buttons (data-action, with data-confirm when they ask first): the
  // request for the data-id (a task, milestone or report), and what the page says after it
  const FORMS = {
    milestone: [(id, data) => send("POST", `/api/tasks/${id}/milestones`, data), "已保存。"],
    progress: [(id, data) => send("POST", `/api/tasks/${id}/progress`, data), "已保存。"],
    edit: [(id, data) => send("PATCH", `/api/milestones/${id}`, data), "已保存。"],
    return: [
      (id, data) =>
        send("POST", `/api/progress/${id}/review`, { accept: false, comment: data.comment }),
      "已退回。",
    ],
    close: [(id, data) => send("POST", `/api/tasks/${id}/close`, data), "已办结。"],
  };
  const ACTIONS = {
    complete: [(id) => send("POST", `/api/milestones/${id}/complete`), "已标记完成。"],
    undo: [(id) => send("POST", `/api/milestones/${id}/reopen`), "已撤销完成标记。"],
    delete: [(id) => send("DELETE", `/api/milestones/${id}`), "已删除里程碑。"],
    accept: [(id) => send("POST", `/api/progress/${id}/review`, { accept: true }), "已采纳。"],
    reopen: [(id) => send("POST", `/api/tasks/${id}/reopen`), "已撤销办结。"],
  };

  async function run(button, request, notice) {
    const card = button.closest("article.task");
    const error = card ? card.querySelector(".form-error") : document.getElementById("page-error");
    error.hidden = true;
    button.disabled = true;
    try {
      await request();
      sessionStorage.setItem("notice", notice);
      location.reload();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      button.disabled = false;
    }
  }

  for (const form of document.querySelectorAll("form[data-form]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const [request, notice] = FORMS[form.dataset.form];
      run(form.querySelector("button"), () => request(form.dataset.id, data), notice);
    });
  }
  for (const button of document.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => {
      if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
      const [request, notice] = ACTIONS[button.dataset.action];
      run(button, () => request(button.dataset.id), notice);
    });
  }

  // 上位依据 are found when a card's section is first opened: searching every card's sentences
  // in the higher texts would hold up the page.
  const LEVELS = { 国家: "国家", 省: "省级", 市: "市级" };
  function item(list, className, text) {
    const li = document.createElement("li");
    if (className) li.className = className;
    li.textContent = text;
    list.append(li);
    return li;
  }
  for (const details of document.querySelectorAll("details.basis")) {
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "yes";
      const list = details.querySelector(".basis-links");
      try {
        const response = await fetch(`/api/tasks/${details.dataset.task}/basis`);
        const data = await response.json();
        if (!response.ok) throw new Error(data.error || "查找失败，请稍后再试。");
        list.replaceChildren();
        for (const link of data.links) {
          const li = item(list, "basis-link", "");
          const where = document.createElement("strong");
          where.textContent = `${LEVELS[link.level] || ""}《${link.document}》${link.clause}`;
          const quote = document.createElement("q");
          quote.textContent = link.text.replace(/\s+/g, "").slice(0, 160);
          li.append(where, " ", quote);
        }
        for (const named of data.named) {
          item(list, "hint", `方案点名的《${named.title}》：本库只有目录信息，未收录全文。`);
        }
        if (!data.links.length && !data.named.length) {
          item(list, "hint", "现有的国家、省级文件和法律中没有找到与这项任务直接对应的条款。");
        }
      } catch (e) {
        delete details.dataset.loaded;
        list.replaceChildren();
        item(list, "error", e.message);
      }
    });
  }

  const notice = sessionStorage.getItem("notice");
  if (notice) {
    const p = document.getElementById("notice");
    p.textContent = notice;
    p.hidden = false;
    sessionStorage.removeItem("notice");
  }
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
})();
