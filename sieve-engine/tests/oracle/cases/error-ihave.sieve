require ["ihave"];
error "stop right here";
