// The dashboard's forms: milestones (office), progress reports, completing milestones; the
// cards' 上位依据.
(function () {
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "操作失败，请稍后再试。");
    return data;
  }

  function bind(selector, handler) {
    for (const form of document.querySelectorAll(selector)) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const error = form.parentElement.querySelector(".form-error");
        error.hidden = true;
        try {
          await handler(form, Object.fromEntries(new FormData(form)));
          sessionStorage.setItem("notice", "已保存。");
          location.reload();
        } catch (e) {
          error.textContent = e.message;
          error.hidden = false;
        }
      });
    }
  }

  bind(".milestone-form", (form, data) => post(`/api/tasks/${form.dataset.task}/milestones`, data));
  bind(".progress-form", (form, data) => post(`/api/tasks/${form.dataset.task}/progress`, data));
  for (const button of document.querySelectorAll(".complete")) {
    button.addEventListener("click", async () => {
      await post(`/api/milestones/${button.dataset.id}/complete`);
      location.reload();
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
})();
