// The dashboard's forms: milestones (office), progress reports, completing milestones.
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
  const notice = sessionStorage.getItem("notice");
  if (notice) {
    const p = document.getElementById("notice");
    p.textContent = notice;
    p.hidden = false;
    sessionStorage.removeItem("notice");
  }
})();
