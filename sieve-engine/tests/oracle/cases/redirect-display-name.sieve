redirect "Carol Example <carol@example.com>";
