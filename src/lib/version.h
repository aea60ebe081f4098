#ifndef CAI_VERSION_H
#define CAI_VERSION_H
#ifndef CAI_VERSION
#define CAI_VERSION "0.1.0"
#endif
#endif
