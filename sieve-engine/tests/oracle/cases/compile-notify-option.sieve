# msg: plain.eml
require "enotify";
notify :options "noequals" "mailto:carol@example.com";
