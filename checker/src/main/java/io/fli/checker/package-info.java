package io.fli.checker;
