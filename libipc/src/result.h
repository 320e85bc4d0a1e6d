// Result: how an internal call ended, as a value: NoError, or an Error and
// the reason in words. Returned instead of out-parameters and remembered
// "last error" fields, so a caller cannot read a cause meant for another.
#pragma once

#include <ipc/types.h>

#include <QString>

namespace ipc {

struct Result
{
    Error error = Error::NoError;
    QString reason;
    // A refusal the owner has already reported in this stretch (a full
    // write queue): the caller returns false without another signal.
    bool alreadyReported = false;

    static Result failure(Error error, QString reason) { return Result{error, std::move(reason)}; }
    bool ok() const { return error == Error::NoError; }
    explicit operator bool() const { return ok(); }
};

} // namespace ipc
