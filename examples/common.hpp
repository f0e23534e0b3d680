// Shared by the examples: the first device of the first platform.
#pragma once

#define CL_HPP_ENABLE_EXCEPTIONS
#include <ordo/ordo.hpp>

#include <vector>

namespace example {

// (Not cl::Device::getDefault(): CLHPP's static default context is released
// at exit, which Oclgrind 21.10 does not survive.)
inline cl::Device first_device() {
    std::vector<cl::Platform> platforms;
    cl::Platform::get(&platforms);
    std::vector<cl::Device> devices;
    platforms.at(0).getDevices(CL_DEVICE_TYPE_ALL, &devices);
    return devices.at(0);
}

} // namespace example
