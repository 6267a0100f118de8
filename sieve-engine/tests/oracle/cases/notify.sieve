require "enotify";
notify :importance "1" :message "New report" "mailto:dave@example.com";
