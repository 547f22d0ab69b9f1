// 督办总览: the charts (from the numbers embedded in the page) and the office's 催办 buttons.
(function () {
  const source = document.getElementById("overview-data");
  const data = source ? JSON.parse(source.textContent) : null;
  const style = getComputedStyle(document.documentElement);
  const colour = (key) => style.getPropertyValue(`--st-${key}`).trim();

  // sizes computed on the server, set through the CSSOM: the pages' policy refuses style attributes
  for (const box of document.querySelectorAll(".chart-box[data-height]")) {
    box.style.height = `${box.dataset.height}px`;
  }
  for (const gantt of document.querySelectorAll(".gantt")) {
    gantt.style.setProperty("--months", gantt.dataset.months);
    gantt.style.setProperty("--today", gantt.dataset.today);
  }

  if (data && window.Chart && document.getElementById("department-chart")) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1d2939";
    Chart.defaults.animation = false; // printed and screenshotted as drawn
    new Chart(document.getElementById("department-chart"), {
      type: "bar",
      data: {
        labels: data.departments,
        datasets: data.stacks.map((stack) => ({
          label: stack.label,
          data: stack.data,
          backgroundColor: colour(stack.key),
        })),
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "任务数" } },
          y: { stacked: true },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    new Chart(document.getElementById("status-chart"), {
      type: "doughnut",
      data: {
        labels: data.totals.map((t) => `${t.label} ${t.count}`),
        datasets: [{ data: data.totals.map((t) => t.count), backgroundColor: data.totals.map((t) => colour(t.key)) }],
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { position: matchMedia("(max-width: 700px)").matches ? "bottom" : "right" } },
      },
    });
    // printing lays the page out anew; Chart.js redraws only when told (its documented way)
    const redraw = () => Object.values(Chart.instances).forEach((chart) => chart.resize());
    addEventListener("beforeprint", redraw);
    addEventListener("afterprint", redraw);
  }

  // 催办: queued for every chat the department is bound to; units with none are named.
  const notice = document.getElementById("urge-result");
  function show(kind, lines) {
    notice.className = kind;
    notice.replaceChildren(
      ...lines.map((text) => {
        const p = document.createElement("p");
        p.textContent = text;
        return p;
      }),
    );
    notice.hidden = false;
  }

  async function urge(button) {
    const department = button.dataset.department;
    const asked = department
      ? `向${department}发送催办消息？`
      : "向所有有逾期或未报送任务的单位发送催办消息？";
    if (!confirm(asked)) return;
    button.disabled = true;
    try {
      const result = await window.callApi("POST", "/api/urge", department ? { department } : {});
      const lines = [`已催办 ${result.departments.length} 个单位，共排队发送 ${result.queued} 条消息。`];
      for (const d of result.departments) {
        if (d.chats) lines.push(`${d.department}：${d.tasks} 项任务，发往 ${d.chats} 个群聊。`);
      }
      if (result.unbound.length) {
        lines.push(`以下单位没有绑定群聊，消息未能发出，请电话或书面催办：${result.unbound.join("、")}。`);
      }
      show(result.unbound.length ? "warn" : "notice", lines);
    } catch (e) {
      show("error", [e.message]);
    } finally {
      button.disabled = false;
    }
  }

  for (const button of document.querySelectorAll("button.urge")) {
    button.addEventListener("click", () => urge(button));
  }
})();
