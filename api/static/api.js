// The pages' one way to call the JSON API: the body as JSON, the answer's JSON back, and a
// Chinese message to show when the server cannot be reached or answers {"error": …}.
window.callApi = async function (method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("无法连接服务器，请检查网络后重试。");
  }
  if (response.status === 204) return {};
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || "操作失败，请稍后再试。");
  return data;
};
