# msg: plain.eml
redirect ".japanese..dots.@example.com";
