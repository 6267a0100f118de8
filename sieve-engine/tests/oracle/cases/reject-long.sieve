require "reject";
reject text:
This reason is very long and goes over the limit of what Pigeonhole prints, so the printed reason is cut short with an ellipsis at the end.
.
;
