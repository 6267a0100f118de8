# msg: nested.eml
require ["body", "fileinto"];
if body :text :contains "grew in the third" { fileinto "Plain"; }
if body :text :contains "<em>" { fileinto "Markup"; }
if body :text :contains "review the numbers" { fileinto "Forwarded"; }
if body :text :contains "prologue" { fileinto "Prologue"; }
