// Progressive enhancement of a debate's comments (debates/templates/debates/_comment.html): the
// page works without this file, each vote button posting its form and the server answering with
// the debate's page again. Here the vote is sent in the background (with the X-Civic-Vote header,
// which asks for the comment alone), and the comment's score, the resident's vote and its buttons
// are put in place from the answer, the page staying where it is. The status region under the
// comments says what happened. When the answer is not the comment (the debate has closed, the
// comment was deleted), the form is sent as it would be without JavaScript, and the page says why.

const status = document.getElementById("comment-vote-status");

async function vote(form, button) {
  const data = new FormData(form);
  data.append(button.name, button.value);
  let answer;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Civic-Vote": "1" },
      credentials: "same-origin",
    });
    if (!response.ok || !response.headers.get("Content-Type")?.startsWith("text/html")) {
      throw new Error(`The vote was answered with ${response.status}`);
    }
    answer = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch {
    answer = null;
  }
  const id = form.closest("[data-comment-votes]").dataset.commentVotes;
  const old = form.closest("[data-comment-votes]");
  const fresh = answer?.querySelector(`[data-comment-votes="${CSS.escape(id)}"]`);
  if (!fresh) {
    form.dataset.commentVoteSent = "1";
    form.requestSubmit(button);
    return;
  }
  old.replaceWith(fresh);
  const again = fresh.querySelector(`button[name="value"][value="${CSS.escape(button.value)}"]`);
  again?.focus();
  if (status) {
    status.textContent = fresh.querySelector(".civic-comment__score").textContent
      .replace(/\s+/g, " ")
      .trim();
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-comment-vote]");
  if (!form || form.dataset.commentVoteSent || !event.submitter) return;
  event.preventDefault();
  vote(form, event.submitter);
});
