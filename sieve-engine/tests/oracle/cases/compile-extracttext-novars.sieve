# msg: plain.eml
require ["extracttext", "foreverypart"];
keep;
