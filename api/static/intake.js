// 文件入库: the upload form (a manifest entry fills the fields; reading a scan can take
// minutes) and the review of a draft (correct, split, merge, exclude; publish or discard).
(function () {
  const call = window.callApi;

  function show(element, message) {
    element.textContent = message;
    element.hidden = false;
  }

  // -- the upload page -------------------------------------------------------------------------
  const upload = document.getElementById("upload");
  if (upload) {
    const fields = upload.elements;
    const entry = document.getElementById("entry");
    entry.addEventListener("change", () => {
      const chosen = entry.selectedOptions[0].dataset;
      const existing = Boolean(entry.value);
      fields.id.value = entry.value;
      fields.id.readOnly = existing;
      fields.title.value = chosen.title || "";
      fields.issuer.value = chosen.issuer || "";
      fields.level.value = chosen.level || "县";
      fields.doc_number.value = chosen.docNumber || "";
      fields.ledger.value = chosen.ledger || "true";
      // a manifest may give only a year or a month, which a date field cannot hold
      fields.date.value = /^\d{4}-\d{2}-\d{2}$/.test(chosen.date || "") ? chosen.date : "";
    });
    const button = upload.querySelector("button[type=submit]");
    const progress = upload.querySelector(".progress");
    const error = upload.querySelector(".form-error");
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = new FormData(upload);
      error.hidden = true;
      progress.hidden = false;
      button.disabled = true;
      try {
        let response;
        try {
          response = await fetch("/api/drafts", { method: "POST", body });
        } catch {
          throw new Error("无法连接服务器，请检查网络后重试。");
        }
        const data = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(data.error || "上传失败，请稍后再试。");
        location.href = `/intake/${data.id}`;
      } catch (e) {
        progress.hidden = true;
        button.disabled = false;
        show(error, e.message);
      }
    });
  }

  // -- the review page -------------------------------------------------------------------------
  const review = document.querySelector(".review");
  if (!review) return;
  const draft = review.dataset.draft;
  const barError = review.querySelector(".review-bar .form-error");

  function units(text) {
    return text
      .split(/[,，、;；\s]+/)
      .map((name) => name.trim())
      .filter(Boolean);
  }

  function changed(...inputs) {
    return inputs.some((input) =>
      input.type === "checkbox"
        ? input.checked !== input.defaultChecked
        : input.tagName === "SELECT"
          ? [...input.options].some((o) => o.selected !== o.defaultSelected)
          : input.value !== input.defaultValue,
    );
  }

  // only the fields the office changed: each is then marked 已更正
  function edits(form) {
    const f = form.elements;
    const out = {};
    if (changed(f.title)) out.title = f.title.value.trim();
    if (changed(f.leads)) out.leads = units(f.leads.value);
    if (changed(f.co)) out.co = units(f.co.value);
    if (changed(f.deadline_kind, f.deadline_date, f.deadline_text)) {
      const kind = f.deadline_kind.value;
      if (!kind) {
        out.deadline = null;
      } else {
        if (kind === "date" && !f.deadline_date.value) throw new Error("请填写完成时限的日期。");
        out.deadline = { kind, date: f.deadline_date.value || null, text: f.deadline_text.value };
      }
    }
    const targets = [...form.querySelectorAll(".target")];
    if (targets.some((t) => changed(t.querySelector("[name=value]"), t.querySelector("[name=unit]")))) {
      out.targets = targets.map((t) => {
        const value = t.querySelector("[name=value]").value;
        return {
          ...JSON.parse(t.dataset.target),
          value: value === "" ? null : Number(value),
          unit: t.querySelector("[name=unit]").value.trim(),
        };
      });
    }
    if (changed(f.excluded)) out.excluded = f.excluded.checked;
    return out;
  }

  function done(message) {
    sessionStorage.setItem("notice", message);
    location.reload();
  }

  for (const article of review.querySelectorAll("article.measure")) {
    const form = article.querySelector("form");
    // a date only for a deadline on a date (not 每年, 长期 or none)
    const kind = form.elements.deadline_kind;
    const showDate = () => (form.elements.deadline_date.hidden = kind.value !== "date");
    kind.addEventListener("change", showDate);
    showDate();
    const error = form.querySelector(".form-error");
    const key = article.dataset.key;
    const url = `/api/drafts/${draft}/measures/${encodeURIComponent(key)}`;
    async function act(work) {
      error.hidden = true;
      for (const button of form.querySelectorAll("button")) button.disabled = true;
      try {
        done(await work());
      } catch (e) {
        show(error, e.message);
        for (const button of form.querySelectorAll("button")) button.disabled = false;
      }
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(async () => {
        const fields = edits(form);
        if (!Object.keys(fields).length) throw new Error("没有需要保存的修改。");
        await call("PATCH", url, { fields });
        return `已保存 ${key} 的更正。`;
      });
    });
    const split = form.querySelector(".split-button");
    if (split) {
      split.addEventListener("click", () =>
        act(async () => {
          const at = Number(form.elements.at.value);
          await call("POST", `${url}/split`, { at });
          return `已将 ${key} 在第 ${at} 句后拆分。`;
        }),
      );
    }
    const merge = form.querySelector(".merge-button");
    if (merge) {
      merge.addEventListener("click", () =>
        act(async () => {
          await call("POST", `${url}/merge`);
          return `已将 ${key} 与下一项合并。`;
        }),
      );
    }
  }

  const publish = document.getElementById("publish");
  const discard = document.getElementById("discard");
  async function whole(work) {
    barError.hidden = true;
    publish.disabled = discard.disabled = true;
    try {
      await work();
    } catch (e) {
      show(barError, e.message);
      publish.textContent = "发布到台账";
      publish.disabled = discard.disabled = false;
    }
  }
  if (publish) {
    publish.addEventListener("click", () =>
      whole(async () => {
        publish.textContent = "正在发布…";
        const result = await call("POST", `/api/drafts/${draft}/publish`);
        sessionStorage.setItem(`published-${draft}`, JSON.stringify(result));
        location.reload();
      }),
    );
    discard.addEventListener("click", () => {
      if (!confirm("放弃这份草稿？放弃后不能再修改，台账不变。")) return;
      whole(async () => {
        await call("DELETE", `/api/drafts/${draft}`);
        done("草稿已放弃。");
      });
    });
  }

  // what publishing did, once, after the reload that shows the draft read-only
  const published = document.getElementById("published");
  const result = sessionStorage.getItem(`published-${draft}`);
  if (published && result) {
    sessionStorage.removeItem(`published-${draft}`);
    const { ledger, warning } = JSON.parse(result);
    published.querySelector(".result").textContent =
      `已发布：任务 ${ledger.tasks} 项，指标 ${ledger.targets} 项。`;
    if (warning) show(published.querySelector(".warning"), warning);
  }
  const notice = sessionStorage.getItem("notice");
  if (notice) {
    show(document.getElementById("notice"), notice);
    sessionStorage.removeItem("notice");
  }
})();
