/* tasks.c - directive items -> tasks (assignee, action, deadline, ...). */
#include "private.h"

int vbi_extract_tasks(const vbi_docview *v, vbi_doc *D)
{
    (void)v;
    (void)D;
    return 0;
}
