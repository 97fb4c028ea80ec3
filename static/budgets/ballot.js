// Progressive enhancement of a budget's ballot (budgets/templates/budgets/ballot.html): the page
// works without this file, each Add or Remove button posting the form and the server answering
// with the page again. Here a button changes the basket's hidden `projects` fields, its list and
// its totals in place (announced by their live region), and tells the server the new basket in
// the background so that filtering or reloading the page keeps it. "Submit my vote" posts the
// form as it would without JavaScript; the server checks the rules either way.

function number(value) {
  return Number(value).toLocaleString("en-GB");
}

function ballotSetUp(form) {
  const basket = form.querySelector("#ballot-basket");
  const list = form.querySelector("#ballot-basket-list");
  const totals = form.querySelector("#ballot-totals");
  const total = form.querySelector("#ballot-total");
  const left = form.querySelector("#ballot-left");
  const words = totals.dataset;
  const amount = Number(form.dataset.amount);

  const chosen = () => [...form.querySelectorAll("input[data-ballot-chosen]")];

  function item(text) {
    const element = document.createElement("li");
    element.textContent = text;
    return element;
  }

  function draw() {
    const inputs = chosen();
    list.replaceChildren(
      ...(inputs.length
        ? inputs.map((input) => item(`${input.dataset.title} (£${number(input.dataset.cost)})`))
        : [item(words.wordsNone)]),
    );
    if (form.dataset.style === "knapsack") {
      const sum = inputs.reduce((so_far, input) => so_far + Number(input.dataset.cost), 0);
      total.textContent = words.wordsTotal
        .replace("{total}", number(sum))
        .replace("{amount}", number(amount));
      left.textContent =
        sum > amount
          ? words.wordsOver.replace("{over}", number(sum - amount))
          : words.wordsLeft.replace("{left}", number(amount - sum));
    } else {
      total.textContent = (inputs.length === 1 ? words.wordsOne : words.wordsMany).replace(
        "{count}",
        String(inputs.length),
      );
    }
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-ballot-toggle]");
    if (!button) return;
    event.preventDefault();
    const id = button.dataset.ballotToggle;
    const adding = button.name === "add";
    const existing = form.querySelector(`input[data-ballot-chosen="${CSS.escape(id)}"]`);
    if (adding && !existing) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "projects";
      input.value = id;
      input.dataset.ballotChosen = id;
      input.dataset.cost = button.dataset.cost;
      input.dataset.title = button.dataset.title;
      basket.insertBefore(input, list);
    } else if (!adding && existing) {
      existing.remove();
    }
    button.name = adding ? "remove" : "add";
    button.querySelector("[data-ballot-verb]").textContent = adding
      ? words.wordsRemove
      : words.wordsAdd;
    button.classList.toggle("govuk-button--warning", adding);
    button.classList.toggle("govuk-button--secondary", !adding);
    draw();

    const data = new FormData(form);
    data.append(adding ? "add" : "remove", id);
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Civic-Basket": "1" },
      credentials: "same-origin",
    }).catch(() => {
      // The basket on the page is what is submitted; the server's copy only serves a reload.
    });
  });
}

for (const form of document.querySelectorAll("form[data-ballot]")) {
  ballotSetUp(form);
}
