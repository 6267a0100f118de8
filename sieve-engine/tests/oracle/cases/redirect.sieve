redirect "carol@example.com";
