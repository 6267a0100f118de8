# msg: plain.eml
require "enotify";
notify "mailto:bob@example.net?header<=x";
