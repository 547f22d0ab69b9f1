// 提醒渠道: bind a channel (the fields follow the platform), send a test message, remove one.
// The list is the server's: after a change it is fetched again from /channels.
(function () {
  const form = document.getElementById("add-channel");
  if (!form) return;
  const fields = form.elements;
  const error = form.querySelector(".form-error");

  const call = window.callApi;

  async function refresh() {
    const response = await fetch("/channels");
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("destinations");
    // the answers already shown stay with their channels
    document.querySelectorAll("tr[data-channel] .answer:not([hidden])").forEach((answer) => {
      const id = answer.closest("tr").dataset.channel;
      fresh.querySelector(`tr[data-channel="${id}"] .answer`)?.replaceWith(answer);
    });
    document.getElementById("destinations").replaceWith(fresh);
  }

  function list(text) {
    return text.split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);
  }

  function follow() {
    const kind = fields.kind.value;
    form.querySelectorAll("[data-kinds]").forEach((element) => {
      element.hidden = !element.dataset.kinds.split(" ").includes(kind);
    });
  }
  fields.kind.addEventListener("change", follow);
  follow();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = fields.kind.value;
    const uses = (name) => !fields[name].closest("label").hidden;
    const owner = fields.owner.value;
    const body = {
      kind,
      department: owner || null,
      office: !owner,
      url: uses("url") ? fields.url.value : "",
      secret: uses("secret") ? fields.secret.value : "",
      addresses: uses("addresses") ? list(fields.addresses.value) : [],
      mentions: uses("mentions") ? list(fields.mentions.value) : [],
    };
    const button = form.querySelector("button[type=submit]");
    error.hidden = true;
    button.disabled = true;
    try {
      await call("POST", "/api/channels", body);
      for (const name of ["url", "secret", "addresses", "mentions"]) fields[name].value = "";
      await refresh();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      fields.secret.value = ""; // never left in the page
      button.disabled = false;
    }
  });

  document.querySelector(".channels").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const row = button.closest("tr[data-channel]");
    const id = row.dataset.channel;
    const answer = row.querySelector(".answer");
    if (button.dataset.action === "remove") {
      const label = row.querySelector(".name").textContent;
      if (!confirm(`删除渠道“${label}”？删除后不再向它发送提醒。`)) return;
    }
    button.disabled = true;
    answer.hidden = false;
    answer.className = "answer";
    answer.textContent = button.dataset.action === "test" ? "正在发送测试消息…" : "正在删除…";
    try {
      if (button.dataset.action === "remove") {
        await call("DELETE", `/api/channels/${id}`);
        await refresh();
        return;
      }
      const result = await call("POST", `/api/channels/${id}/test`);
      answer.className = `answer ${result.ok ? "notice" : "error"}`;
      answer.textContent = result.ok ? `已送达，平台应答：${result.answer}` : `未送达：${result.answer}`;
    } catch (e) {
      answer.className = "answer error";
      answer.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
})();
