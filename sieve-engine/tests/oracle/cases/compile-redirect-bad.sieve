# msg: plain.eml
redirect "rüdiger@example.com";
