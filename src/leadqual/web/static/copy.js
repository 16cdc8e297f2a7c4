// Progressive enhancement: a "Copy" button for the draft. The page works without it.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-copy-body]");
  Array.prototype.forEach.call(buttons, function (button) {
    if (!navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var subject = document.getElementById(button.getAttribute("data-copy-subject"));
      var body = document.getElementById(button.getAttribute("data-copy-body"));
      var status = document.getElementById("copy-status");
      var text = (subject ? "Subject: " + subject.value + "\n\n" : "") + (body ? body.value : "");
      navigator.clipboard.writeText(text).then(
        function () { if (status) { status.textContent = "Copied."; } },
        function () { if (status) { status.textContent = "Could not copy: select the text and copy it."; } }
      );
    });
  });
})();
