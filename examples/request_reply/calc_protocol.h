// What calc_server and calc_client agree on: message types and error codes.
// Keeping them in one header is the whole "schema" of this protocol.
#pragma once

#include <QtGlobal>

namespace calc {

// Requests and their replies. A reply's type is the application's choice;
// libipc matches it to its request by id, not by type.
constexpr qint32 Expression = 1;      // request: text "add 2 3"; reply: Result
constexpr qint32 Result = 2;          // reply: the result as text, "5"
constexpr qint32 Operation = 3;       // request: CBOR map {op, a, b}; reply: OperationResult
constexpr qint32 OperationResult = 4; // reply: CBOR map {result}

// An ordinary message the server broadcasts every second: CBOR map {tick}.
constexpr qint32 Tick = 10;

// The codes replyError() sends; the client sees them as Reply::errorCode.
enum Failure : qint32 {
    BadInput = 1,
    DivisionByZero = 2,
    UnknownOperation = 3,
};

} // namespace calc
