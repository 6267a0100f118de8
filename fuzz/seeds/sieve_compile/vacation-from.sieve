require "vacation";
vacation :from "bob@example.net" :addresses ["bob@example.net"] text:
Out of office.
Back soon.
.
;
