require "enotify";
notify :from "bob@example.net" "mailto:dave@example.com?subject=Hi%20there&cc=eve@example.com";
